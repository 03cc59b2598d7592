"""The merchant's daily screen: orders, the watchlist, inquiries, figures, alerts and roles."""
