"""The tracking page: its view model, banners, page events, delivery feedback and questions."""
