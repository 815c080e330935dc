"""Sessions in both styles: a visit counter, login with flash messages.

Run it:  PLUGDOT_SECRET_KEY=change-me plugdot run examples/sessions_app.py:app
(needs plugdot-sessions; PLUGDOT_SESSION_BACKEND=redis://127.0.0.1:6379/0
keeps sessions in Redis, shared between processes)
"""
import os

from plugdot import App, methods

SECRET = os.environ.get('PLUGDOT_SECRET_KEY', 'dev-only-secret-change-me-0123456789')


class Site(App):
    """Class style: ``/whoami`` and ``/login``."""

    async def whoami(self):
        session = self.request.session
        return {'user': session.get('user'), 'messages': session.get_flashed_messages()}

    @methods('POST')
    async def login(self, user):
        session = self.request.session
        session['user'] = user
        session.regenerate()  # a new token after login: no session fixation
        session.flash('welcome, %s' % user)
        return {'user': user}


app = Site(config={'secret_key': SECRET})


@app.get('/')
async def counter(request):
    request.session['visits'] = request.session.get('visits', 0) + 1
    return {'visits': request.session['visits']}


@app.post('/logout')
async def logout(request):
    request.session.clear()
    return None
