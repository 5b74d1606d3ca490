-- description: Live arms purchases with the supplier's name and the loan or credit line that paid for them.
-- requires: arms_purchases, investments, actors
-- column supplier_name: `actors.name` of the supplier.
-- column financing_project: `investments.project` of the financing row.
-- column financing_instrument: `investments.instrument` of the financing row.
-- column financing_amount_usd_best: `investments.amount_usd_best` of the financing row.
-- column financing_start_date: `investments.start_date` of the financing row.
-- inherit: arms_purchases
SELECT p.*, a.name AS supplier_name, i.project AS financing_project,
  i.instrument AS financing_instrument, i.amount_usd_best AS financing_amount_usd_best,
  i.start_date AS financing_start_date
FROM arms_purchases p
LEFT JOIN actors a ON a.id = p.supplier_id
LEFT JOIN investments i ON i.id = p.financing_id
