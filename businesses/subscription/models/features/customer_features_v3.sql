{#- Customer features as of a date, v3: one row per customer per as-of date on the feature spine,
    declared in customer_features.yml (its families; the contract columns are generated from
    them) and computed by the declared_features macro. Released: frozen by its fingerprint. -#}
{{ declared_features() }}
