import { useState } from 'react';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import type { Entity } from '@backstage/catalog-model';
import { PeoplePicker, PeopleSearchField } from './PeoplePicker';
import { PersonKind, personSearchTerm } from './personOption';

// The machine running CI is shared: give the debounced catalog search time.
configure({ asyncUtilTimeout: 5000 });

// jsdom loads no images: the Avatar shows a picture once its Image has loaded, so
// let every image "load" (an image without src fails, as in a browser).
const RealImage = window.Image;
beforeAll(() => {
  (window as any).Image = class {
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    set src(url: string) {
      setTimeout(() => (url ? this.onload?.() : this.onerror?.()));
    }
  };
});
afterAll(() => {
  window.Image = RealImage;
});

const user = (
  name: string,
  displayName: string,
  email: string,
  picture?: string,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName, email, picture }, memberOf: [] },
});
const group = (name: string, title: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default', title },
  spec: { type: 'team', children: [] },
});

const ENTITIES = [
  user('alice', 'Alice Martin', 'alice@acme-bank.example'),
  user('bob', 'Bob Peeters', 'bob@acme-bank.example'),
  user(
    'carol',
    'Carol Dubois',
    'carol@acme-bank.example',
    'https://pictures.example/carol.png',
  ),
  user('dave', 'Dave Janssens', 'dave@acme-bank.example'),
  group('trading', 'Trading desk'),
  group('caribbean', 'Caribbean desk'),
];

function Single(props: {
  kinds?: PersonKind[];
  onValue: (v?: string) => void;
}) {
  const [value, setValue] = useState<string>();
  return (
    <PeoplePicker
      label="Owner"
      kinds={props.kinds}
      debounceMs={10}
      value={value}
      onChange={v => {
        setValue(v);
        props.onValue(v);
      }}
    />
  );
}

async function renderPicker(ui: JSX.Element) {
  const catalog = catalogApiMock({ entities: ENTITIES });
  await renderInTestApp(ui, { apis: [[catalogApiRef, catalog]] });
  return catalog;
}

describe('personSearchTerm', () => {
  it('searches an entity ref by its name, other text as typed', () => {
    expect(personSearchTerm(' user:default/carol ')).toBe('carol');
    expect(personSearchTerm('group:trading')).toBe('trading');
    expect(personSearchTerm('default/carol')).toBe('carol');
    expect(personSearchTerm('Carol Dubois')).toBe('Carol Dubois');
    expect(personSearchTerm('carol@acme-bank.example')).toBe(
      'carol@acme-bank.example',
    );
  });
});

describe('PeoplePicker', () => {
  it('typing "Car" lists Carol Dubois with her email and picture; picking stores her ref', async () => {
    const onValue = jest.fn();
    await renderPicker(<Single onValue={onValue} />);
    await userEvent.type(
      screen.getByRole('combobox', { name: 'Owner' }),
      'Car',
    );

    const carol = await screen.findByTestId('person-option-user:default/carol');
    expect(carol).toHaveTextContent('Carol Dubois');
    expect(carol).toHaveTextContent('carol@acme-bank.example');
    // Her picture (the name is said next to it, so the avatar is decoration).
    await waitFor(() =>
      expect(carol.querySelector('.bui-AvatarRoot img')).toHaveAttribute(
        'src',
        'https://pictures.example/carol.png',
      ),
    );
    // Users only by default: the Caribbean desk group is not offered; nor is Alice.
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(1));

    await userEvent.click(
      screen.getByTestId('person-option-user:default/carol'),
    );
    expect(onValue).toHaveBeenLastCalledWith('user:default/carol');
    expect(screen.getByRole('combobox', { name: 'Owner' })).toHaveValue(
      'Carol Dubois',
    );
  });

  it('finds people by email and by entity ref, case-insensitively', async () => {
    await renderPicker(<Single onValue={jest.fn()} />);
    const box = screen.getByRole('combobox', { name: 'Owner' });
    await userEvent.type(box, 'BOB@ACME');
    await screen.findByTestId('person-option-user:default/bob');
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(1));

    await userEvent.clear(box);
    await userEvent.type(box, 'user:default/dave');
    await screen.findByTestId('person-option-user:default/dave');
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(1));

    await userEvent.clear(box);
    await userEvent.type(box, 'nobody-here');
    expect(
      await screen.findByText('No one matches "nobody-here"'),
    ).toBeVisible();
  });

  it('offers groups when groups are allowed', async () => {
    const onValue = jest.fn();
    await renderPicker(<Single kinds={['User', 'Group']} onValue={onValue} />);
    await userEvent.type(
      screen.getByRole('combobox', { name: 'Owner' }),
      'car',
    );

    const desk = await screen.findByTestId(
      'person-option-group:default/caribbean',
    );
    expect(desk).toHaveTextContent('Caribbean desk');
    expect(desk).toHaveTextContent('Group');
    expect(
      screen.getByTestId('person-option-user:default/carol'),
    ).toBeInTheDocument();
    await userEvent.click(desk);
    expect(onValue).toHaveBeenLastCalledWith('group:default/caribbean');
  });

  it('shows a ref chosen earlier by its display name; several can be chosen', async () => {
    const onChange = jest.fn();
    function Multiple() {
      const [value, setValue] = useState(['user:default/alice']);
      return (
        <PeoplePicker
          multiple
          label="Observers"
          debounceMs={10}
          value={value}
          onChange={v => {
            setValue(v);
            onChange(v);
          }}
        />
      );
    }
    await renderPicker(<Multiple />);
    expect(await screen.findByText('Alice Martin')).toBeVisible();
    await userEvent.type(
      screen.getByRole('combobox', { name: 'Observers' }),
      'dubois',
    );
    await userEvent.click(
      await screen.findByTestId('person-option-user:default/carol'),
    );
    expect(onChange).toHaveBeenLastCalledWith([
      'user:default/alice',
      'user:default/carol',
    ]);
  });
});

describe('PeopleSearchField', () => {
  function Field(props: { initial?: string; onValue: (v: string) => void }) {
    const [value, setValue] = useState(props.initial ?? '');
    return (
      <PeopleSearchField
        label="User"
        debounceMs={10}
        value={value}
        onChange={v => {
          setValue(v);
          props.onValue(v);
        }}
      />
    );
  }

  it('keeps typed text as the value and suggests the catalog people; picking one gives their ref, shown by name', async () => {
    const onValue = jest.fn();
    await renderPicker(<Field onValue={onValue} />);
    const box = screen.getByRole('combobox', { name: 'User' });
    await userEvent.type(box, 'carol');
    expect(onValue).toHaveBeenLastCalledWith('carol');
    const carol = await screen.findByTestId('person-option-user:default/carol');
    expect(carol).toHaveTextContent('carol@acme-bank.example');

    await userEvent.click(carol);
    expect(onValue).toHaveBeenLastCalledWith('user:default/carol');
    expect(box).toHaveValue('Carol Dubois');

    // Typing again is free text again.
    await userEvent.clear(box);
    await userEvent.type(box, 'Dave J');
    expect(onValue).toHaveBeenLastCalledWith('Dave J');
    expect(box).toHaveValue('Dave J');
  });

  it('shows a ref given from outside (a bookmarked search) by display name', async () => {
    await renderPicker(
      <Field initial="user:default/carol" onValue={jest.fn()} />,
    );
    await waitFor(() =>
      expect(screen.getByRole('combobox', { name: 'User' })).toHaveValue(
        'Carol Dubois',
      ),
    );
  });
});

describe('PeoplePicker, more', () => {
  it('shows a saved owner by name; leaving edited text restores it; emptying the field un-chooses', async () => {
    const onChange = jest.fn();
    function Saved() {
      const [value, setValue] = useState<string | undefined>(
        'user:default/bob',
      );
      return (
        <PeoplePicker
          label="Owner"
          debounceMs={10}
          value={value}
          onChange={v => {
            setValue(v);
            onChange(v);
          }}
        />
      );
    }
    await renderPicker(<Saved />);
    const box = screen.getByRole('combobox', { name: 'Owner' });
    await waitFor(() => expect(box).toHaveValue('Bob Peeters'));

    await userEvent.type(box, 'xyz');
    await userEvent.tab();
    expect(box).toHaveValue('Bob Peeters');
    expect(onChange).not.toHaveBeenCalled();

    await userEvent.clear(box);
    expect(onChange).toHaveBeenLastCalledWith(undefined);
  });

  it('lists chosen people as removable tags', async () => {
    const onChange = jest.fn();
    function Multiple() {
      const [value, setValue] = useState([
        'user:default/alice',
        'user:default/bob',
      ]);
      return (
        <PeoplePicker
          multiple
          label="Observers"
          debounceMs={10}
          value={value}
          onChange={v => {
            setValue(v);
            onChange(v);
          }}
        />
      );
    }
    await renderPicker(<Multiple />);
    const chosen = screen.getByRole('grid', { name: 'Observers: chosen' });
    await waitFor(() =>
      expect(
        within(chosen)
          .getAllByRole('row')
          .map(r => r.textContent),
      ).toEqual(['Alice Martin', 'Bob Peeters']),
    );
    const removeButtons = within(chosen).getAllByRole('button');
    await userEvent.click(removeButtons[0]);
    expect(onChange).toHaveBeenLastCalledWith(['user:default/bob']);
  });
});
