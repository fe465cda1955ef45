from django.contrib import admin

from .models import Category, CategoryAttribute, DispatchRule, PublicTopic, RequestType, TimeLimitPolicy


class CategoryAttributeInline(admin.TabularInline):
    """The category's extra questions (Open311 service definition attributes)."""

    model = CategoryAttribute
    extra = 0
    fields = ("order", "code", "datatype", "variable", "required", "description", "datatype_description", "values")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("path", "level", "is_active", "public")
    list_filter = ("level", "is_active", "public")
    list_editable = ("public",)
    search_fields = ("path",)
    raw_id_fields = ("parent",)
    inlines = [CategoryAttributeInline]


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "allows_direct_answer", "sort_order")


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "request_type",
        "urgency",
        "category",
        "sign_amount",
        "sign_unit",
        "finish_amount",
        "finish_unit",
        "is_active",
    )
    list_filter = ("request_type", "urgency", "is_active")
    raw_id_fields = ("category",)


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "unit", "by_place")
    search_fields = ("category__path", "unit__name")
    raw_id_fields = ("category",)


@admin.register(PublicTopic)
class PublicTopicAdmin(admin.ModelAdmin):
    """The topics citizens pick on the public submit page; `clean()` checks the paths against the tree."""

    list_display = ("order", "name", "code", "category_path", "fallback_path", "is_active")
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    search_fields = ("name", "code", "category_path")
