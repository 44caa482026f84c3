class A:
    def f(self):
        if 1:
            pass
x = 1
