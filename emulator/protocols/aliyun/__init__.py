"""Alibaba Cloud RPC-style API machinery shared by every Alibaba product (dysmsapi, dypnsapi ...)."""
