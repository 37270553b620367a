{#- Public suffixes of two labels (from the Public Suffix List's ICANN section: the
    second-level registries of country domains), under which a registrable domain has
    three labels: acme.co.uk, acme.com.au. A single-label suffix (com, io, de) needs no
    entry. Compiled into the normalisers as a literal list, not read from a seed table:
    they run inside joins of several models, on DuckDB and Spark, and in `dbt show`
    without a database. -#}
{% macro multi_label_public_suffixes() -%}
{%- set suffixes = [] -%}
{%- set second_levels = {
    'uk': 'co ac gov org ltd plc me net nhs sch police mod',
    'au': 'com net org edu gov asn id',
    'nz': 'co org net ac govt geek school kiwi maori',
    'za': 'co org net ac gov edu web nom',
    'jp': 'co ne or ac go ed gr lg ad',
    'kr': 'co ne or re pe go ac',
    'in': 'co net org firm gen ind ac edu res gov',
    'br': 'com net org gov edu art eng ind inf adv blog eco emp tec',
    'ar': 'com net org gob edu int',
    'mx': 'com net org gob edu',
    'co': 'com net org gov edu nom',
    'pe': 'com net org gob edu nom',
    'cl': 'gob gov mil',
    've': 'com net org gob edu co info web',
    'uy': 'com net org gub edu',
    'ec': 'com net org gob edu fin info',
    'cn': 'com net org gov edu ac',
    'hk': 'com net org gov edu idv',
    'tw': 'com net org gov edu idv',
    'sg': 'com net org gov edu per',
    'my': 'com net org gov edu name biz',
    'id': 'co or ac go web net my biz sch',
    'th': 'co or ac go in net mi',
    'ph': 'com net org gov edu',
    'vn': 'com net org gov edu biz info',
    'pk': 'com net org gov edu biz',
    'bd': 'com net org gov edu',
    'lk': 'com net org gov edu',
    'il': 'co org net ac gov muni',
    'tr': 'com net org gov edu biz info gen web av bel',
    'sa': 'com net org gov edu med sch',
    'ae': 'co net org gov ac sch',
    'qa': 'com net org gov edu',
    'eg': 'com net org gov edu eun',
    'ng': 'com net org gov edu name sch',
    'ke': 'co or ne go ac sc',
    'gh': 'com org gov edu',
    'ma': 'co net org gov ac press',
    'ua': 'com net org gov edu in kiev',
    'ru': 'com net org pp',
    'pl': 'com net org gov edu biz info waw',
    'gr': 'com net org gov edu',
    'cy': 'com net org gov ac',
    'mt': 'com net org gov edu',
    'es': 'com nom org gob edu',
    'pt': 'com org gov edu',
    'fr': 'asso com gouv nom',
    'at': 'co or ac gv',
    'hu': 'co org info',
    'ro': 'com org info nom',
    'no': 'co priv',
    'be': 'ac',
    'kz': 'com org gov edu',
} -%}
{%- for country, labels in second_levels.items() -%}
    {%- for label in labels.split() -%}
        {%- do suffixes.append(label ~ '.' ~ country) -%}
    {%- endfor -%}
{%- endfor -%}
{{ return(suffixes) }}
{%- endmacro %}
