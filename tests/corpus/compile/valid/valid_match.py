def f(x):
    match x:
        case [1, *rest]:
            return rest
        case {'a': b}:
            return b
        case _:
            return None
