{#- CDNOW customer features, v1: declared in customer_features.yml, computed by declared_features. -#}
{{ declared_features() }}
