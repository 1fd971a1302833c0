# cellinfo / differential tests
