"""The report's Jinja template: one HTML file with inline CSS and base64 PNG images (works offline, attachable)."""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} — {{ account }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: .2rem } .muted { color: #666 } img { max-width: 100%; display: block; margin: .5rem 0 1rem }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; font-size: 13px }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top }
th { background: #f4f4f4 } .status { font-weight: 600 } .flag { color: #a15c00 }
</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">Account <b>{{ account }}</b> ·
{{ start.strftime('%Y-%m-%d %H:%M') }} → {{ end.strftime('%Y-%m-%d %H:%M') }} UTC</p>
<h2>Summary</h2>
<table><tr><th>campaign</th><th>spend</th><th>conversions</th><th>CPA</th><th>target CPA</th><th>% of LP*</th></tr>
{% for r in summary %}<tr><td>{{ r.campaign }}</td><td>{{ r.spend }}</td><td>{{ r.conversions }}</td>
<td>{{ r.cpa }}</td><td>{{ r.target_cpa }}</td><td>{{ r.pct_of_lp }}</td></tr>{% endfor %}
</table>
{% for s in sections %}<h2>{{ s.name }}</h2>
{% for caption, png in s.figures %}<img alt="{{ caption }}" src="data:image/png;base64,{{ png }}">{% endfor %}
{% endfor %}
<h2>Creative leaderboard</h2>
<table><tr><th>#</th><th>campaign</th><th>headline</th><th>description</th><th>status</th><th>origin</th>
<th>impressions</th><th>clicks</th><th>CTR</th></tr>
{% for c in creatives %}<tr><td>{{ c.creative_id }}</td><td>{{ c.campaign }}</td><td>{{ c.headline }}</td>
<td>{{ c.description }}</td><td>{{ c.status }}</td><td>{{ c.origin }}</td><td>{{ c.impressions }}</td>
<td>{{ c.clicks }}</td><td>{{ '%.2f%%' % (100 * c.ctr) }}</td></tr>{% endfor %}
</table>
<h2>Change-set timeline</h2>
<table><tr><th>when</th><th>#</th><th>status</th><th>origin</th><th>changes</th><th>rationale</th>
<th>predicted</th><th>realised</th></tr>
{% for cs in change_sets %}<tr><td>{{ cs.created_at.strftime('%m-%d %H:%M') }}</td><td>{{ cs.id }}</td>
<td class="status">{{ cs.status }}</td><td>{{ cs.origin }}</td>
<td>{% for i in cs['items'] %}{{ i }}<br>{% endfor %}
{% for f in cs.flags %}<span class="flag">⚑ {{ f }}</span><br>{% endfor %}</td>
<td>{{ cs.summary }}<br><span class="muted">{{ cs.rationale }}</span></td>
<td>{{ cs.predicted }}</td><td>{{ cs.realised if cs.realised else '—' }}</td></tr>
{% else %}<tr><td colspan="8" class="muted">no change-sets in this period</td></tr>{% endfor %}
</table>
</body></html>
"""
