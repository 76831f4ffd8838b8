"""Course-wide pytest setup of the fake course."""
