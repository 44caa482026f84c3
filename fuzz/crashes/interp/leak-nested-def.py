def r():
 def r():