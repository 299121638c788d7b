/**
 * `GET /api/equipment-types`: the site's equipment catalogue (built-in and site-declared types)
 * as the dashboard shows it: labels of types, points and faults, and the points of each tile.
 */
import type { FastifyInstance } from 'fastify';
import { siteCatalogue } from '../config/equipment.js';
import type { EquipmentTypeView } from '../core/model.js';
import { equipmentTypeView } from '../equipment/index.js';
import type { ApiContext } from './context.js';

export function equipmentApi(ctx: Pick<ApiContext, 'config'>) {
  const views = siteCatalogue(ctx.config).list().map(equipmentTypeView);
  return async (app: FastifyInstance) => {
    app.get('/api/equipment-types', async (): Promise<EquipmentTypeView[]> => views);
  };
}
