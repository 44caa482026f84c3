def f():
    x = 1
# a comment at column 0
    return x
