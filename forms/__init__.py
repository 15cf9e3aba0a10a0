"""WTForms forms, one module per area; each form is named <Thing><Action>Form."""
