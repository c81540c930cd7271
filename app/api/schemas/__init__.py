"""The API's response models, one module per resource, apart from the routes that send them."""
