-- description: Live investments with the investor's and counterpart's names and countries.
-- requires: investments, actors
-- column investor_name: `actors.name` of the investor.
-- column investor_country: `actors.country` of the investor.
-- column counterpart_name: `actors.name` of the counterpart.
-- column counterpart_country: `actors.country` of the counterpart.
-- inherit: investments
SELECT i.*, a.name AS investor_name, a.country AS investor_country, c.name AS counterpart_name,
  c.country AS counterpart_country
FROM investments i
LEFT JOIN actors a ON a.id = i.investor_id
LEFT JOIN actors c ON c.id = i.counterpart_id
