-- jwtauth seed data (SPEC §5, §6): roles, the tutorial's two clients and
-- its three products.
--
-- Re-runnable without damage: rows that exist are left as they are (an
-- administrator may have changed a client's URL), and the products are
-- seeded only into an empty table (a product deleted on purpose stays
-- deleted). No user is created here: see jwtauthctl user add.

INSERT IGNORE INTO Roles (Id, Name) VALUES
	(1, 'Admin'),
	(2, 'Editor'),
	(3, 'User');

INSERT IGNORE INTO Clients (ClientId, Name, ClientURL) VALUES
	('Client1', 'Client Application 1', 'https://client1.com'),
	('Client2', 'Client Application 2', 'https://client2.com');

INSERT INTO Products (Id, Name, Description, Price)
SELECT s.Id, s.Name, s.Description, s.Price
FROM (
	SELECT 1 AS Id, 'Product A' AS Name, 'Test Product A' AS Description, 10.00 AS Price
	UNION ALL SELECT 2, 'Product B', 'Test Product B', 20.00
	UNION ALL SELECT 3, 'Product C', 'Test Product C', 30.00
) AS s
WHERE NOT EXISTS (SELECT 1 FROM Products);
