fs = [lambda f: f]
@fs[0]
def g():
    pass
