"""The report's Jinja template: one HTML file with inline CSS and base64 PNG images (works offline, attachable).
Rendered with autoescape on: every value is text, never markup."""

__all__ = ["LP_SENTENCE", "TEMPLATE"]

LP_SENTENCE = (
    "LP* is the most conversions a campaign could have bought that day within its budget and target CPA, had it "
    "known every auction in advance; % of LP* is the score (the conversions bought, discounted when CPA runs over "
    "target) divided by LP*."
)

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} — {{ account }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; padding: 0 1.5rem; max-width: 1400px; color: #222 }
h1 { margin-bottom: .2rem } h2 { margin-top: 2rem } .muted { color: #666 }
img { width: 100%; height: auto; display: block; margin: .5rem 0 1rem }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 13px }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap }
th { background: #f4f4f4 } tr.total td { font-weight: 600; border-top: 2px solid #999 }
.status { font-weight: 600 } .flag { color: #a15c00 } .warn { background: #fff4e5; border-left: 4px solid #e69500;
padding: .5rem .8rem; margin: .8rem 0 } .note { font-size: 13px }
ul.lines { margin: .3rem 0 1rem; padding-left: 1.2rem }
tr.mine td { background: #eef7ee }
</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">Account <b>{{ account }}</b> · {{ start.strftime('%Y-%m-%d %H:%M') }} →
{{ end.strftime('%Y-%m-%d %H:%M') }} UTC ({{ period }}) · amounts in {{ currency or 'the account currency' }}
{% if backend_note %}· {{ backend_note }}{% endif %}</p>
{% for w in warnings %}<div class="warn">⚠ {{ w }}</div>{% endfor %}

<h2>Summary</h2>
<table><tr><th>campaign</th><th class="num">spend ({{ currency }})</th><th class="num">conversions</th>
<th class="num">CPA ({{ currency }})</th><th class="num">target CPA ({{ currency }})</th>
{% if show_lp %}<th class="num">% of LP*</th>{% endif %}</tr>
{% for r in summary %}<tr{% if r.total %} class="total"{% endif %}><td>{{ r.campaign }}</td>
<td class="num">{{ r.spend }}</td><td class="num">{{ r.conversions }}</td><td class="num">{{ r.cpa }}</td>
<td class="num">{{ r.target_cpa }}</td>{% if show_lp %}<td class="num">{{ r.pct_of_lp }}</td>{% endif %}</tr>
{% endfor %}</table>
{% if show_lp %}<p class="note muted">{{ lp_sentence }}</p>{% endif %}
<ul class="lines">
{% for label, line in count_lines %}<li>Change-sets, {{ label }}: {{ line }}</li>{% endfor %}
<li>{{ token_line }}</li>
</ul>

{% if comparison %}<h2>adpilot vs what you would have had</h2>
<p class="note muted">The same week replayed on the same market (same seed: same users, auctions and competitors)
under other policies. {{ lp_sentence }}</p>
<table><tr><th>policy</th><th class="num">% of LP*</th><th class="num">conversions</th>
<th class="num">spend ({{ currency }})</th><th class="num">CPA ({{ currency }})</th><th>CPA vs target</th></tr>
{% for r in comparison %}<tr{% if r.policy == 'adpilot' %} class="mine"{% endif %}><td>{{ r.policy }}</td>
<td class="num">{{ r.pct_of_lp }}</td><td class="num">{{ r.conversions }}</td><td class="num">{{ r.spend }}</td>
<td class="num">{{ r.cpa }}</td><td>{{ r.cpa_vs_target }}</td></tr>
{% endfor %}</table>
{% for caption, png in comparison_figures %}<img alt="{{ caption }}" src="data:image/png;base64,{{ png }}">
{% endfor %}{% endif %}

{% for s in sections %}<h2>{{ s.name }}</h2>
{% if s.note %}<p class="warn">{{ s.note }}</p>{% endif %}
{% for caption, png in s.figures %}<img alt="{{ caption }}" src="data:image/png;base64,{{ png }}">
{% endfor %}{% endfor %}

<h2>Creative leaderboard</h2>
<table><tr><th>#</th><th>campaign</th><th>headline</th><th>description</th><th>status</th><th>origin</th>
<th class="num">impressions</th><th class="num">clicks</th><th class="num">CTR</th></tr>
{% for c in creatives %}<tr><td>{{ c.creative_id }}</td><td>{{ c.campaign }}</td><td>{{ c.headline }}</td>
<td>{{ c.description }}</td><td>{{ c.status }}</td><td>{{ c.origin }}</td><td class="num">{{ c.impressions }}</td>
<td class="num">{{ c.clicks }}</td><td class="num">{{ '%.2f %%' % (100 * c.ctr) }}</td></tr>{% endfor %}
</table>

<h2>Change-set timeline</h2>
<p class="note muted">The agents' and people's change-sets. The pacer's and rules' bid nudges are counted above,
not listed one by one (<code>adpilot changesets list --origin pacer</code> lists them).</p>
<table><tr><th>when (UTC)</th><th>#</th><th>status</th><th>origin</th><th>changes</th><th>why</th>
<th>expected</th><th>observed</th></tr>
{% for cs in change_sets %}<tr><td>{{ cs.created_at.strftime('%m-%d %H:%M') }}</td><td>{{ cs.id }}</td>
<td><span class="status">{{ cs.status_words }}</span>
{% if cs.status_note %}<br><span class="muted">{{ cs.status_note }}</span>{% endif %}</td><td>{{ cs.origin }}</td>
<td>{% for i in cs['items'] %}{{ i.words }}
{% if i.status != cs.status %}<span class="muted">[{{ i.status | replace('_', ' ') }}]</span>{% endif %}
{% if i.note %}<br><span class="muted">{{ i.note }}</span>{% endif %}<br>{% endfor %}
{% for f in cs.flags %}<span class="flag">⚑ {{ f }}</span><br>{% endfor %}</td>
<td>{{ cs.summary }}{% if cs.rationale %}<br><span class="muted">{{ cs.rationale }}</span>{% endif %}
{% if cs.same_rationale_as %}<br><span class="muted">(same reasoning as #{{ cs.same_rationale_as }})</span>{% endif %}
{% for r in cs.item_rationales %}<br><span class="muted">· {{ r }}</span>{% endfor %}</td>
<td>{{ cs.predicted_words }}</td><td>{{ cs.realised_words }}</td></tr>
{% else %}<tr><td colspan="8" class="muted">no change-sets in this period</td></tr>{% endfor %}
</table>
</body></html>
"""
