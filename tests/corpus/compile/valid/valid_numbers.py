a = 1_000
b = 0x_ff
c = 1e-3
d = 1j
e = 0o17
f = 0b1
g = 00
h = 1.
