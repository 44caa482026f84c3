import os; x = 1; y = 2
