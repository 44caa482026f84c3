# comment
s = 'café'
