"""Delivery estimates: what date a parcel (or an unshipped order) shows, and how right we were."""
