x = 0
def f():
    global x
    x = 1
