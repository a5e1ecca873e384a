/**
 * Roles see departments' records by the class of data each connector declares (issue 12): the
 * built-in departments' classes as the domain knows them agree with their connectors' specs,
 * and a department connected later is visible to exactly the roles that read its class, with
 * no change to the policy.
 */
import { CONNECTORS } from '../../src/connectors/registry.js';
import { dataClassOf, declareDataClass } from '../../src/domain/dataClasses.js';
import { ROLE_IDS, type RoleId, type Viewer } from '../../src/auth/viewer.js';
import { Policy } from '../../src/store/policy.js';

const viewer = (role: RoleId): Viewer => ({ authenticated: true, subject: `t-${role}`, name: null, role, gridIds: [], streetIds: [], department: null });
const seeing = (department: string) => ROLE_IDS.filter((role) => new Policy(viewer(role), 'test').recordDepartments().has(department)).sort();

describe('data classes', () => {
  test('the domain knows each built-in department by the class its spec declares', () => {
    for (const c of CONNECTORS) expect({ department: c.spec.name, dataClass: dataClassOf(c.spec.name) }).toEqual({ department: c.spec.name, dataClass: c.spec.dataClass });
  });

  test('a new department is visible to the roles that read its class, and a department of no known class only to those that read all', () => {
    expect(seeing('education_unknown')).toEqual(['data-steward', 'district-admin']);
    declareDataClass('fire_brigade_east', 'fire');
    expect(seeing('fire_brigade_east')).toEqual(seeing('fire'));
    expect(seeing('fire_brigade_east')).toEqual(['data-steward', 'district-admin', 'fire', 'grid-worker', 'street-operator']);
    expect(new Policy(viewer('fire'), 'test').recordDepartmentList()).toContain('fire_brigade_east');
    expect(new Policy(viewer('police'), 'test').recordDepartmentList()).not.toContain('fire_brigade_east');
  });
});
