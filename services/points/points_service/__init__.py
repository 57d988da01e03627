"""The points service: 红色积分, rule books, 爱心超市, 双考评."""
