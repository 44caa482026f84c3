from typing import List
def f(x: List[int] = []) -> 'X':
    y: int = 1
    return y
