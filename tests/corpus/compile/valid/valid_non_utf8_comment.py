x = 1
# café in a comment is fine for compile()
y = 2
