{#- Normalisers for identity resolution. Each returns null when there is nothing to match on. -#}

{#- A host's registrable domain: its last two labels, or three under a two-part public
    suffix (acme.co.uk). So www.acme.io, mail.acme.io and acme.io are one domain. -#}
{% macro registrable_domain(host) -%}
    case
        when {{ host }} is null or not contains({{ host }}, '.') then null
        when {{ regex_matches_function() }}({{ host }}, '\.(co|com|org|net|ac|gov)\.[a-z]{2}$')
            then regexp_extract({{ host }}, '([^.]+\.[^.]+\.[^.]+)$', 1)
        else regexp_extract({{ host }}, '([^.]+\.[^.]+)$', 1)
    end
{%- endmacro %}

{#- A website or domain as typed (https://www.Acme.io/about) -> acme.io -#}
{% macro website_domain(website) -%}
    {{ registrable_domain(
        "nullif(regexp_extract(lower(trim(" ~ website ~ ")), '^(?:[a-z]+://)?([^/:?#\\s]+)', 1), '')"
    ) }}
{%- endmacro %}

{#- An e-mail address -> its registrable domain (jo@mail.acme.io -> acme.io) -#}
{% macro email_domain(email) -%}
    {{ registrable_domain(
        "nullif(regexp_extract(lower(trim(" ~ email ~ ")), '@([^@\\s]+)$', 1), '')"
    ) }}
{%- endmacro %}

{#- The address a person is reached at: lower case, no spaces, no +tag, and the domain
    reduced to its registrable part, so ' Jo.Smith+crm@Mail.Acme.io' = 'jo.smith@acme.io'. -#}
{% macro normalized_email(email) -%}
    case
        when {{ regex_matches_function() }}(lower(trim({{ email }})), '^[^@\s]+@[^@\s]+\.[a-z]{2,}$')
            then regexp_extract(lower(trim({{ email }})), '^([^@+]+)', 1)
                || '@' || {{ email_domain(email) }}
    end
{%- endmacro %}

{#- Role addresses (billing@, finance@ ...) belong to a company, not to one person. -#}
{% macro is_role_email(email) -%}
    coalesce({{ regex_matches_function() }}(
        lower(trim({{ email }})),
        '^(billing|finance|accounts|accounting|ap|ar|invoices|payables|info|admin|sales|support|hello|contact|office|team)@'
    ), false)
{%- endmacro %}

{#- A syntactically valid address whose domain has a dot-separated TLD of letters. -#}
{% macro is_valid_email(email) -%}
    coalesce({{ regex_matches_function() }}(trim({{ email }}), '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$'), false)
{%- endmacro %}

{#- A company name without case, punctuation or legal form: 'ACME, Inc.' -> 'acme'. -#}
{% macro normalized_company_name(name) -%}
    {%- set no_dots = regex_replace_all('lower(trim(' ~ name ~ '))', "'[.'']'", "''") -%}
    {%- set spaced = regex_replace_all(no_dots, "'[^a-z0-9]+'", "' '") -%}
    nullif(trim(regexp_replace(
        {{ spaced }},
        '\s+(inc|incorporated|corp|corporation|co|company|llc|llp|ltd|limited|plc|gmbh|ag|sa|sas|sarl|bv|nv|sl|srl|spa|ab|as|oy|kk|ltda|pvt ltd|pte ltd|pty ltd|pvt|pte|pty)\s*$',
        ''
    )), '')
{%- endmacro %}

{#- A person's name part for matching: lower case, letters only. -#}
{% macro normalized_person_name(name) -%}
    nullif({{ regex_replace_all('lower(trim(' ~ name ~ '))', "'[^a-z]'", "''") }}, '')
{%- endmacro %}

