import { benchReports } from './reports.ts';
for (const f of await benchReports(false)) console.log(f.name, f.value.toFixed(3), f.unit);
