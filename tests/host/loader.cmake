# loader host tests
