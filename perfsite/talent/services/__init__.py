"""The rules of resource allocation (allocations.py), the talent review (review.py) and
succession (succession.py); see each module's docstring."""
