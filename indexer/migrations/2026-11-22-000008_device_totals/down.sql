DROP TABLE device_totals;
