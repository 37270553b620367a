{#- Normalisers for identity resolution. Each returns null when there is nothing to match on. -#}

{#- Text as exports type it, made comparable: lower case, accents kept, every run of
    Unicode spaces (no-break, thin, ideographic, zero-width, tab) one plain space, trimmed. -#}
{% macro plain_text(text) -%}
    trim({{ regex_replace_all(
        'lower(' ~ text ~ ')',
        "'[\\s\\x{00a0}\\x{2000}-\\x{200b}\\x{202f}\\x{205f}\\x{3000}\\x{feff}]+'",
        "' '"
    ) }})
{%- endmacro %}

{#- A host's registrable domain: its last two labels, or three under a two-label public
    suffix (acme.co.uk, macro multi_label_public_suffixes). So www.acme.io, mail.acme.io and
    acme.io are one domain. Null unless the host is labels of letters, digits and hyphens
    ending in a top-level domain of two or more letters (not 'www', 'n.a', '192.168.0.1'),
    and null for a bare public suffix ('co.uk'). -#}
{% macro registrable_domain(host) -%}
    {%- set suffixes = "('" ~ multi_label_public_suffixes() | join("', '") ~ "')" -%}
    case
        when not coalesce({{ regex_matches_function() }}(
            {{ host }}, '^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'
        ), false) then null
        when {{ host }} in {{ suffixes }} then null
        when regexp_extract({{ host }}, '([^.]+\.[^.]+)$', 1) in {{ suffixes }}
            then nullif(regexp_extract({{ host }}, '([^.]+\.[^.]+\.[^.]+)$', 1), '')
        else regexp_extract({{ host }}, '([^.]+\.[^.]+)$', 1)
    end
{%- endmacro %}

{#- The host of a website as typed: scheme, www., port, path, query, fragment, trailing
    dots and punctuation dropped (' https://WWW.Acme.io.:443/about?x ' -> acme.io). -#}
{% macro website_host(website) -%}
    nullif(regexp_replace(
        regexp_extract(
            {{ plain_text(website) }}, '^(?:[a-z]+:/+)?(?:www\d*\.)?([^/:?#\s,;@<>"]+)', 1
        ),
        '\.+$', ''
    ), '')
{%- endmacro %}

{#- A website or domain as typed (https://www.Acme.io/about) -> acme.io -#}
{% macro website_domain(website) -%}
    {{ registrable_domain(website_host(website)) }}
{%- endmacro %}

{#- The bare address in an e-mail field as exports hold it: a display name
    ('"Carter, Ava" <ava@acme.io>'), mailto:, brackets, trailing '.', ';' or ',', Unicode
    spaces -> 'ava@acme.io'. Null when the field holds no address. -#}
{% macro bare_email(email) -%}
    nullif(regexp_extract(
        {{ plain_text(email) }},
        '([a-z0-9._%+''-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,})', 1
    ), '')
{%- endmacro %}

{#- An e-mail address -> its registrable domain (jo@mail.acme.io -> acme.io) -#}
{% macro email_domain(email) -%}
    {{ registrable_domain("regexp_extract(" ~ bare_email(email) ~ ", '@(.+)$', 1)") }}
{%- endmacro %}

{#- The address a person is reached at: the bare address, no +tag, the domain reduced to
    its registrable part, so ' Jo.Smith+crm@Mail.Acme.io.' = 'jo.smith@acme.io'. -#}
{% macro normalized_email(email) -%}
    {{ address_at_domain(bare_email(email), email_domain(email)) }}
{%- endmacro %}

{#- A bare address's local part without its +tag, at `domain` (null if either is). -#}
{% macro address_at_domain(address, domain) -%}
    nullif(regexp_extract({{ address }}, '^([^@+]+)', 1) || '@' || {{ domain }}, '@')
{%- endmacro %}

{#- Role addresses (billing@, finance@ ...) belong to a company, not to one person. -#}
{% macro is_role_email(email) -%}
    {{ is_role_address(bare_email(email)) }}
{%- endmacro %}

{#- The same, of an address already bare (bare_email). -#}
{% macro is_role_address(address) -%}
    coalesce({{ regex_matches_function() }}(
        {{ address }},
        '^(billing|finance|accounts|accounting|ap|ar|invoices|payables|info|admin|sales|support|hello|contact|office|team)@'
    ), false)
{%- endmacro %}

{#- A syntactically valid address whose domain has a dot-separated TLD of letters. -#}
{% macro is_valid_email(email) -%}
    coalesce({{ regex_matches_function() }}(trim({{ email }}), '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$'), false)
{%- endmacro %}

{#- Company legal forms of many countries (after dots are dropped and punctuation made
    spaces: 'S.A. de C.V.' is 'sa de cv'), and words that name no company ('group',
    'holding'). Industry words stay: 'Velora Analytics' and 'Velora Logistics' differ. -#}
{% macro company_name_suffixes() -%}
    {{ return([
        'inc', 'incorporated', 'corp', 'corporation', 'co', 'company', 'cos', 'llc', 'llp', 'lp',
        'ltd', 'limited', 'plc', 'pty ltd', 'pty', 'pvt ltd', 'pvt', 'pte ltd', 'pte', 'gmbh',
        'mbh', 'ag', 'kg', 'ohg', 'ug', 'gmbh co kg', 'ev', 'sa', 'sas', 'sasu', 'sarl', 'eurl',
        'sa de cv', 'de cv', 's de rl', 'sab', 'sl', 'slu', 'srl', 'spa', 'snc', 'sapa', 'scarl',
        'bv', 'nv', 'vof', 'cv', 'bvba', 'sprl', 'ab', 'hb', 'as', 'asa', 'a s', 'aps', 'oy',
        'oyj', 'kk', 'gk', 'ltda', 'eireli', 'me', 'sp z o o', 'sp z oo', 'spzoo', 'sp k', 'sro',
        'zrt', 'kft', 'doo', 'ad', 'ooo', 'pao', 'zao', 'bhd', 'sdn bhd', 'tbk', 'pt', 'jsc',
        'group', 'holding', 'holdings', 'international', 'intl', 'global', 'worldwide',
    ]) }}
{%- endmacro %}

{#- A company name without case, accents, punctuation, 'the', 'and'/'&' or legal form:
    'The ACME & Co., Inc.' -> 'acme'. -#}
{% macro normalized_company_name(name) -%}
    {%- set folded = fold_accents(plain_text(name)) -%}
    {%- set no_dots = regex_replace_all(folded, "'[.'']'", "''") -%}
    {%- set spaced = "' ' || " ~ regex_replace_all(no_dots, "'[^a-z0-9]+'", "'  '") ~ " || ' '" -%}
    {%- set no_fillers = regex_replace_all(spaced, "' (the|and|und|et) '", "' '") -%}
    {%- set suffixes = company_name_suffixes() | join('|') -%}
    nullif(trim(regexp_replace(
        {{ regex_replace_all(no_fillers, "'\\s+'", "' '") }},
        '(\s({{ suffixes }}))+\s*$',
        ''
    )), '')
{%- endmacro %}

{#- A person's name part for matching: its first word (no middle initial), lower case,
    accents folded, letters only ('Ana María' -> 'ana', "O'Brien" -> 'obrien'). -#}
{% macro normalized_person_name(name) -%}
    nullif({{ regex_replace_all(
        "split_part(" ~ fold_accents("lower(trim(" ~ name ~ "))") ~ ", ' ', 1)", "'[^a-z]'", "''"
    ) }}, '')
{%- endmacro %}

{#- A domain that looks like a big free-mail provider's mistyped (gmial.com, hotmial.co.uk,
    yaho.com): its first label one or two edits from the provider's. Only labels of a
    provider's length give or take two reach the edit distances (a CASE branch is
    evaluated for its rows only: the distances on every record cost more than the rest of
    the normalisation). -#}
{% macro is_free_mail_typo(domain) -%}
    {%- set providers = ['gmail', 'googlemail', 'yahoo', 'hotmail', 'outlook', 'icloud', 'protonmail'] -%}
    {%- set label = "split_part(" ~ domain ~ ", '.', 1)" -%}
    {%- set lengths = providers | map('length') | list -%}
    case
        when length({{ label }}) between {{ lengths | min - 2 }} and {{ lengths | max + 2 }} then
    {%- for provider in providers %}
            levenshtein({{ label }}, '{{ provider }}') between 1 and 2
            {%- if not loop.last %} or{% endif %}
    {%- endfor %}
        else false
    end
{%- endmacro %}
