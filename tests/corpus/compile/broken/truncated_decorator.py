import functools
@functools.lru_cache()
