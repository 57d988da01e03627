"""The volunteering service: 志愿服务队, activities, 党员周末轮班, certified hours."""
