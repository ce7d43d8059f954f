"""The sales-whiplash tests; ``tests.support`` holds what they (and ``bench``) share."""
