fs = [lambda x, i=i: x + i for i in range(3)]
