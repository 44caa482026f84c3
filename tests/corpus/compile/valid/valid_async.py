async def f():
    async with a as b:
        await b
    return [x async for x in b]
