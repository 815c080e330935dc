"""An app of the outside-in trial whose bundle lacked a module the board
needed (test_bundle_needs.py)."""
from plugdot import App, redirect

login = App(plugins=['sessions'], config={'secret_key': 'a long random string 0123456789abcdef'})


@login.post('/login')
async def sign_in(request):
    request.session['user'] = request.form.get('user')
    return redirect('/')


@login.get('/')
async def home(request):
    return {'user': request.session.get('user')}


@login.post('/logout')
async def logout(request):
    request.session.clear()  # deletes the cookie: an Expires date in the past
    return redirect('/')
