"""A plugin that ships an asset (tests of plugdot_static.add_assets)."""
from plugdot_static import add_assets


def plugdot_app_created(app):
    add_assets(app, 'portable_static.shipped')
