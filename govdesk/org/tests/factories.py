from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import Group

from govdesk.org.models import Unit, UnitKind, User

TEST_PASSWORD = "Correct-Horse-42!"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = UnitKind.DEPARTMENT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()
        if not create or not extracted:
            return
        for role in extracted:
            group, _created = Group.objects.get_or_create(name=str(role))
            obj.groups.add(group)
        obj.__dict__.pop("roles", None)


def login_verified(client: Any, user: User) -> None:
    """Log `client` in as `user` with a session that passed the second factor, as after a TOTP login.

    The three administrator roles must pass two-factor login before anything else (等保2.0 8.1.4.1 d); a plain
    `force_login` is what an attacker with the password alone would have.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
