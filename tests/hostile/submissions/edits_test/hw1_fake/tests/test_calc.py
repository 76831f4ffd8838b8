def test_add():
    pass


def test_add_negative():
    pass
