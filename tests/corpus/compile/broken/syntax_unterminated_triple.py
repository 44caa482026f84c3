x = 1
s = """abc

x = 1
