{% args title, rows %}
<!doctype html>
<title>{{ title }}</title>
<table>
<tr><th>#</th><th>name</th><th>email</th><th>score</th></tr>
{% for i, row in enumerate(rows) %}
<tr class="{{ 'odd' if i % 2 == 0 else 'even' }}"><td>{{ row['n'] }}</td><td>{{ row['name'] }}</td><td>{{ row['email'] }}</td><td>{{ row['score'] }}</td></tr>
{% endfor %}
</table>
