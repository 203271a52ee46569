from django.contrib import admin

from caseloop.products.models import Order, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ["brand", "name", "model", "product_line", "is_service"]
    list_filter = ["product_line", "is_service"]
    search_fields = ["brand", "name", "model"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ["order_number", "product", "purchase_date", "purchase_place"]
    search_fields = ["order_number"]
    raw_id_fields = ["customer", "product"]
