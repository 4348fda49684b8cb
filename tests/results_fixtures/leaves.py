"""Walk of a nested figures block (published figures, key figures): (path, value) of each leaf."""


def leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, path + (str(k),))
    else:
        yield path, node
