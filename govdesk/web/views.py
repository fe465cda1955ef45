from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("GovDesk")


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse("Too many requests", status=429)
