// An operator's role as the console API names it. The server decides what each role may do
// (OPERATOR_ACCESS); the console only leaves out what a role cannot use. In a file of its
// own because both the pages and the customer card need it, and pages.tsx imports the card.

export type Role = 'support' | 'risk_analyst' | 'security_admin';
